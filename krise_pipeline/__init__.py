"""krise_pipeline: the crisis-centre statistics "Bo- og dagtilbud" from raw deliveries to publication."""

__version__ = "0.1.0"
