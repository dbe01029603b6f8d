import ArgumentParser

/// Options shared by many commands, pulled in with `@OptionGroup var engine: Flags.Engine`.
public enum Flags {}
