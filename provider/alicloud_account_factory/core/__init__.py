"""The core every resource and front door uses: configuration, transport, errors, deadlines, pacing,
operations, progress, the attempt record and the field-table kit. It imports nothing above it."""
