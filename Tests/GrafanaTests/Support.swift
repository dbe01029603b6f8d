import Foundation
import GrafanaStandIn
import HTTPTransport
import Logging
import TestSupport

@testable import Grafana

/// The name `SpyTransport` had here before the test doubles moved to TestSupport, kept only so that
/// tests written against it on other branches still compile; new tests say `SpyTransport`.
@available(*, deprecated, renamed: "SpyTransport")
typealias RecordingTransport = SpyTransport

enum Fixture {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var logger: Logger {
        var logger = Logger(label: "grafana-tests")
        logger.logLevel = .critical
        return logger
    }

    /// A copy of the repository's dashboards/ and stacks/grafana/provisioning in a fresh temporary
    /// directory, so a test can change files; removed afterwards.
    static func withRepositoryCopy<T>(_ body: (URL) async throws -> T) async throws -> T {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-grafana-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent("stacks/grafana"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: repositoryRoot.appendingPathComponent("dashboards"), to: root.appendingPathComponent("dashboards"))
        try FileManager.default.copyItem(
            at: repositoryRoot.appendingPathComponent("stacks/grafana/provisioning"),
            to: root.appendingPathComponent("stacks/grafana/provisioning"))
        return try await body(root)
    }

    static func client(
        url: String, credentials: Grafana.Credentials = .basic(user: "admin", password: "admin"), record: Bool = false
    ) throws -> (Grafana.Client, SpyTransport) {
        let transport = SpyTransport(try CurlTransport(endpoint: HTTPEndpoint(address: .url(url))))
        let connection = try Grafana.Connection(url: url, credentials: credentials)
        return (Grafana.Client(transport: transport, connection: connection, logger: logger, requestTimeout: .seconds(10)), transport)
    }

    /// A stand-in; with `mounting`, it reads that repository copy's stacks/grafana/provisioning as
    /// Grafana does when stacks/monitoring.yml mounts it at /etc/grafana/provisioning (and as a
    /// reload reads it again after the test changed a file).
    static func standIn(sortKeys: Bool = false, password: String = "admin", token: String? = nil, mounting root: URL? = nil) -> StandInConfiguration {
        StandInConfiguration(
            host: "127.0.0.1", port: 0, adminUser: "admin", adminPassword: password,
            provisioningPath: root?.appendingPathComponent("stacks/grafana/provisioning").path,
            serviceAccountToken: token, sortDashboardKeys: sortKeys, environment: [:])
    }

    static func provisioner(_ client: Grafana.Client, root: URL) -> Grafana.Provisioner {
        Grafana.Provisioner(client: client, sources: Grafana.Sources(repositoryRoot: root), healthTimeout: .seconds(10))
    }
}
