"""Memory over months (SPEC section 2, bounded memory; docs/lifecycle.md).

- ``expiry``: a short-term note expires ``short_term_days`` after it was written unless it is
  rewarded, said again or confirmed (it is then long-term); a search never returns an expired
  note, and maintenance archives it;
- ``maintain``: expiry, then the tenant's budget (notes, words): superseded notes first, then
  the lowest keep score (``keep``: learned utility, usage, recency, information);
- ``experience``: an interaction kept as an experience note linked to the notes it used;
- forgetting for real lives in the stores (``asem.stores.base.Eraser``), the calls in
  ``api`` (the lifecycle part of ``Memory``).
"""
