import ArgumentParser

/// How a command prints its data (to stdout). Logs and progress always go to stderr. The one format
/// enum of every `--format`; `OutputRenderer` switches over it.
public enum OutputFormat: String, CaseIterable, Sendable, ExpressibleByArgument {
    case table, json, yaml
}

extension Flags {
    /// `--format table|json|yaml`. Render with `OutputRenderer.render(_:format:)`.
    public struct Output: ParsableArguments, Sendable {
        @Option(name: .customLong("format"), help: "Output format: table, json or yaml.")
        public var format: OutputFormat = .table

        public init() {}

        /// A format the command cannot print is a usage error (exit 2).
        public func require(_ supported: [OutputFormat], command: String) throws {
            guard supported.contains(format) else {
                let list = supported.map(\.rawValue).joined(separator: " or ")
                throw ValidationError("--format \(format.rawValue) is not available for \(command); use \(list)")
            }
        }
    }
}
