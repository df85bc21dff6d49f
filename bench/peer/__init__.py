"""The low-code peer: manifest.yaml run by the CDK's declarative source (`python -m bench.peer`)."""
