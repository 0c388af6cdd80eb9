# The earlyrandom command (owned by the command's work; see src/cli/).
