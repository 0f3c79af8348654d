"""The intermediate form: normalization to ANF and SSA renaming."""
