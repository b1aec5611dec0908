"""The training environment: streams of facts with probe questions, a simulated memory,
and the frozen answerer whose probe accuracy is the reward."""
