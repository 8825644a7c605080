"""Korean understanding: prices, facts of a listing's description, and the buyer's intents."""
