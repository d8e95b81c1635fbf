"""Local developer stack: `make run` and `make test` set-up (services, launcher)."""
