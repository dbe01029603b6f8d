import ArgumentParser

/// How a command prints its data (to stdout). Logs and progress always go to stderr.
public enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case table, json, yaml
}

extension Flags {
    /// `--format table|json|yaml`. Render with `OutputRenderer.render(_:format:)`.
    public struct Output: ParsableArguments, Sendable {
        @Option(name: .customLong("format"), help: "Output format: table, json or yaml.")
        public var format: OutputFormat = .table

        public init() {}
    }
}
