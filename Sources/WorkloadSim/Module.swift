import ArgumentParser

/// Placeholder entry point until the workload stand-in lands (issue 5).
public struct WorkloadSimCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "workload-sim", abstract: "Stand-in for the MultimodalRAG api and model-api.")
    public init() {}
    public func run() async throws { throw ExitCode.failure }
}
