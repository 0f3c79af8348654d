"""Analyses over the SSA core: what each operation is, activity, kinds."""
