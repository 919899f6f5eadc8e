"""The page's language: number formatting, the wording of sentences and the texts built from the figures."""
