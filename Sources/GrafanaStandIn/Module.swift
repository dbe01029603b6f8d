import ArgumentParser

/// Placeholder entry point until the Grafana stand-in lands (issue 7).
public struct GrafanaStandInCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "grafana-standin", abstract: "A stand-in for Grafana's HTTP API (not Grafana).")
    public init() {}
    public func run() async throws { throw ExitCode.failure }
}
