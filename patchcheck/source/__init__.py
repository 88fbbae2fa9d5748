"""Source layer: trees of files, C parsing with preprocessor guards, Kconfig facts.

- `tree`: read-only views of a kernel tree (`SourceTree` and its implementations).
- `guards`: guard formulas (`Sym`, `Cmp`, `Arch`, `Opaque`, `conj`/`disj`/`neg`, `render`, `substitute`).
- `preproc`: `preprocess(text)` -> the guard of every line and every `#define` (`PreprocFile`, `MacroDef`).
- `cparse`: tree-sitter-c on directive-masked text, wrapper-macro expansion per definition variant.
- `kconfig` / `kconfig_tree`: the Kconfig scan and the tree's `KconfigDB` (cached).
- `facts`: `ConfigFacts.from_tree(tree)`: `satisfiable`, `implies`, `equivalent`, `overlap` -> `Answer`.
- `sat`: the python-sat session behind it; `cache`: the on-disk cache.
"""
