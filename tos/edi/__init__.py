"""The EDIFACT layer (pure Python over pydifact, no Django): readers, segment groupers, typed
mappers and writers for BAPLIE, MOVINS, COPRAR, COARRI, CODECO, COPARN, VERMAS and CUSRES.

Filled in by the stowage and gate issues; ``tos.core.codes`` holds the ISO 6346 and IMO checks it
shares with the kernel.
"""
