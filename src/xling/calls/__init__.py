"""Model calls through the response cache: embeddings, log-likelihoods and generations, translations."""
