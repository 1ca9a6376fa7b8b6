"""Engine drivers: the one way the keyword libraries reach an engine under test."""
