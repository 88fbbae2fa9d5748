"""Rules: registry rules and declarative semantic rule packs, run over a tree."""
