"""What the data means: the contract's vocabulary, the codebook, every table and field, and the DDL made from them."""
