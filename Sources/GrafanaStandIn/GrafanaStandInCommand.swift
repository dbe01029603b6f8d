import ArgumentParser
import Foundation
import Logging

/// `grafana-standin`: serves a subset of Grafana's HTTP API from memory, for tests and for offline
/// `scripts/up` where Grafana cannot be installed. It is not Grafana and says so in `/api/health`.
@available(macOS 10.15, macCatalyst 13, iOS 13, tvOS 13, watchOS 6, *)
public struct GrafanaStandInCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "grafana-standin",
        abstract: "A stand-in for Grafana's HTTP API (not Grafana).",
        discussion: """
            Reads Grafana's environment: GF_SERVER_HTTP_ADDR, GF_SERVER_HTTP_PORT, GF_SECURITY_ADMIN_USER, \
            GF_SECURITY_ADMIN_PASSWORD or GF_SECURITY_ADMIN_PASSWORD__FILE, GF_PATHS_PROVISIONING, GF_PATHS_DATA; \
            STANDIN_SERVICE_ACCOUNT_TOKEN adds an Admin bearer token; STANDIN_SORT_DASHBOARD_KEYS=1 answers \
            dashboards with sorted keys like real Grafana. Flags override the environment.
            """)

    @Option(name: .long, help: "Address to listen on (default: GF_SERVER_HTTP_ADDR or 127.0.0.1).")
    var host: String?

    @Option(name: .long, help: "Port to listen on (default: GF_SERVER_HTTP_PORT or 3000).")
    var port: Int?

    @Option(name: .long, help: "Provisioning directory (default: GF_PATHS_PROVISIONING or /etc/grafana/provisioning).")
    var provisioning: String?

    @Option(name: .long, help: "Data directory where the state is kept across restarts (default: GF_PATHS_DATA, else memory only).")
    var data: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    public init() {}

    /// The entry point for `Sources/grafana-standin/main.swift`. A plain `await GrafanaStandInCommand.main()`
    /// in top-level code resolves to ParsableCommand's synchronous `main()`, which refuses async roots;
    /// called from here, the async `main()` is chosen.
    public static func start() async {
        await main()
    }

    public func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "grafana-standin")
        do {
            var configuration = try StandInConfiguration.fromEnvironment()
            if let host { configuration.host = host }
            if let port {
                guard (0...65535).contains(port) else { throw StandInError.configuration("--port \(port) is not a port number (0-65535)") }
                configuration.port = port
            }
            if let provisioning { configuration.provisioningPath = provisioning }
            if let data { configuration.dataPath = data }
            logger.notice(
                "grafana-standin \(StandInConfiguration.version): a stand-in for Grafana's HTTP API, not Grafana; admin user '\(configuration.adminUser)'")
            try await GrafanaStandInServer(configuration: configuration, logger: logger).run()
        } catch let error as StandInError {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            switch error {
            case .configuration: throw ExitCode(2)
            case .provisioning, .server, .database: throw ExitCode.failure
            }
        }
    }
}
