import ArgumentParser
import Foundation
import Logging

/// `workload-sim`: stand-in for the MultimodalRAG api (port 5000) and model-api (port 5001).
public struct WorkloadSimCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "workload-sim",
        abstract: "Stand-in for the MultimodalRAG api and model-api: the guide's metrics, real requests, fault injection.",
        discussion: """
            Flags override the environment: WORKLOAD_ROLE, LISTEN_HOST, PORT, MODEL_API_URL, LOAD_RATE. It listens
            on 127.0.0.1 unless told otherwise (0.0.0.0 inside a container). Faults start from
            FAULT_LATENCY_SECONDS, FAULT_ERROR_RATIO, FAULT_LEAK_MB_PER_MINUTE, FAULT_GPU_PRESSURE and change at
            run time with POST /admin/faults (JSON, e.g. {"latency_seconds": 6}) carrying
            "Authorization: Bearer <token>", the token from WORKLOAD_ADMIN_TOKEN or the file WORKLOAD_ADMIN_TOKEN_FILE
            names; without one, /admin/* is off. There is no GPU: gpu_memory_* are simulated values. Logs go to
            stderr (LOG_LEVEL sets the level).
            """,
        version: "0.1.0")

    @Option(help: "api or model-api (env WORKLOAD_ROLE).")
    var role: String?

    @Option(help: "Address to listen on (env LISTEN_HOST; default 127.0.0.1, or 0.0.0.0 inside a container).")
    var host: String?

    @Option(help: "Port to listen on (env PORT; default 5000 for api, 5001 for model-api).")
    var port: Int?

    @Option(name: .customLong("model-api-url"), help: "Base URL of the model API, for the api role (env MODEL_API_URL).")
    var modelAPIURL: String?

    @Option(name: .customLong("load-rate"), help: "Requests per second of the built-in load generator, 0 = off (env LOAD_RATE; default 2).")
    var loadRate: Double?

    public init() {}

    /// The configuration from flags and `environment`; throws naming the flag or variable at fault.
    public func resolve(
        environment: [String: String], inContainer: Bool = ListenHost.runsInContainer
    ) throws(ConfigurationError) -> WorkloadConfiguration {
        let roleText = role ?? environment["WORKLOAD_ROLE"] ?? "api"
        guard let role = WorkloadRole(rawValue: roleText) else {
            throw ConfigurationError(source: self.role != nil ? "--role" : "WORKLOAD_ROLE", message: "\"\(roleText)\" is not a role (api or model-api)")
        }
        var port = self.port
        if port == nil, let text = environment["PORT"], !text.isEmpty {
            guard let value = Int(text) else { throw ConfigurationError(source: "PORT", message: "\"\(text)\" is not a port number") }
            port = value
        }
        if let port, !(0...65535).contains(port) {
            throw ConfigurationError(source: self.port != nil ? "--port" : "PORT", message: "\(port) is not in 0...65535")
        }
        var rate = loadRate
        if rate == nil, let text = environment["LOAD_RATE"], !text.isEmpty {
            guard let value = Double(text) else { throw ConfigurationError(source: "LOAD_RATE", message: "\"\(text)\" is not a number") }
            rate = value
        }
        if let rate, !(rate.isFinite && (0...1000).contains(rate)) {
            throw ConfigurationError(source: loadRate != nil ? "--load-rate" : "LOAD_RATE", message: "\(rate) is not in 0...1000 requests per second")
        }
        let modelAPIURL = self.modelAPIURL ?? environment["MODEL_API_URL"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://model-api:5001"
        guard let url = URL(string: modelAPIURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ConfigurationError(source: self.modelAPIURL != nil ? "--model-api-url" : "MODEL_API_URL", message: "\"\(modelAPIURL)\" is not an http(s) URL")
        }
        let host = self.host ?? environment["LISTEN_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? ListenHost.default(inContainer: inContainer)
        return WorkloadConfiguration(
            role: role, host: host, port: port, modelAPIURL: modelAPIURL, loadRate: rate ?? 2,
            faults: try Faults.fromEnvironment(environment), adminToken: try AdminToken.fromEnvironment(environment))
    }

    public func run() async throws {
        let configuration: WorkloadConfiguration
        do {
            configuration = try resolve(environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("workload-sim: error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let level = ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        var logger = Logger(label: "workload-sim")
        logger[metadataKey: "role"] = "\(configuration.role.rawValue)"
        logger.info(
            "starting",
            metadata: WorkloadRoutes.metadata(configuration.faults).merging(
                [
                    "host": "\(configuration.host)", "port": "\(configuration.port)", "admin": "\(configuration.adminToken == nil ? "off" : "token required")",
                    "load_rate": "\(configuration.loadRate)", "model_api_url": "\(configuration.modelAPIURL)",
                ],
                uniquingKeysWith: { $1 }))
        let server = WorkloadServer(configuration: configuration, logger: logger, makeTransport: defaultTransportFactory)
        do {
            try await server.run()
        } catch {
            logger.error("failed", metadata: ["error": "\(error)"])
            throw ExitCode.failure
        }
    }
}

extension WorkloadSimCommand {
    /// Entry point for `main.swift`. From top-level code the compiler prefers `ParsableCommand`'s
    /// synchronous `main()`, which refuses async commands; calling from an async context picks the async one.
    public static func start() async {
        await main()
    }
}
