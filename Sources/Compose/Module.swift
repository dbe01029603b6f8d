// The Compose module; see ../../../shared/ARCHITECTURE.md for its responsibility.
enum ComposeModule {}
