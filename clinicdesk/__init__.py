"""ClinicDesk: offline-first records for a hair-loss micrografting clinic."""

__version__ = "0.1.0"
APP_NAME = "ClinicDesk"
