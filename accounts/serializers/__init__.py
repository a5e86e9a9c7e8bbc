"""API input and output shapes of the accounts app, by resource. Inputs only parse;
services decide."""
