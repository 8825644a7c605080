"""The seller's bot: the Advisor decides each move, the realizer words it, the guard checks it,
and the pipeline (`Negotiator`) runs the three for one buyer turn."""
