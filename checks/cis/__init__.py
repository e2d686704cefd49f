"""CIS Docker Benchmark recommendations that need human judgement: listed, never evaluated."""
