import Foundation
import GrafanaStandIn
import HTTPTransport
import Logging
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Talks to an in-process stand-in over real HTTP through CurlTransport.
struct StandInClient {
    let transport: CurlTransport
    var authorization: String?

    init(url: String, user: String = "admin", password: String = "admin") throws {
        transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(url)))
        authorization = Self.basic(user, password)
    }

    static func basic(_ user: String, _ password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }

    func with(authorization: String?) -> StandInClient {
        var copy = self
        copy.authorization = authorization
        return copy
    }

    struct Reply {
        var status: Int
        var body: Data
        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
        var object: [String: Any] { (json as? [String: Any]) ?? [:] }
        var array: [[String: Any]] { (json as? [[String: Any]]) ?? [] }
        var message: String? { object["message"] as? String }
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    func request(
        _ method: HTTPMethod, _ path: String, json: Any? = nil, raw: String? = nil,
        headers: [(name: String, value: String)] = []
    ) async throws -> Reply {
        var allHeaders = headers
        if let authorization { allHeaders.append((name: "Authorization", value: authorization)) }
        var body: Data?
        if let json { body = try JSONSerialization.data(withJSONObject: json) }
        if let raw { body = Data(raw.utf8) }
        if body != nil { allHeaders.append((name: "Content-Type", value: "application/json")) }
        let response = try await transport.send(HTTPRequest(method: method, path: path, headers: allHeaders, body: body, timeout: .seconds(30)))
        return Reply(status: response.status, body: response.body)
    }

    func get(_ path: String) async throws -> Reply { try await request(.get, path) }
    func post(_ path: String, _ json: Any) async throws -> Reply { try await request(.post, path, json: json) }
    func put(_ path: String, _ json: Any) async throws -> Reply { try await request(.put, path, json: json) }
    func delete(_ path: String) async throws -> Reply { try await request(.delete, path) }
}

enum Fixture {
    static let logger: Logger = {
        var logger = Logger(label: "grafana-standin-tests")
        logger.logLevel = .warning
        return logger
    }()

    static func configuration(
        password: String = "admin", provisioning: String? = nil, token: String? = nil,
        environment: [String: String] = [:]
    ) -> StandInConfiguration {
        StandInConfiguration(
            host: "127.0.0.1", port: 0, adminUser: "admin", adminPassword: password,
            provisioningPath: provisioning, serviceAccountToken: token, environment: environment)
    }

    /// Runs a stand-in and hands the test a client logged in as admin.
    static func withStandIn<T: Sendable>(
        _ configuration: StandInConfiguration = Fixture.configuration(),
        _ body: @Sendable (StandInClient) async throws -> T
    ) async throws -> T {
        try await withRunningStandIn(configuration, logger: logger) { url async throws in
            try await body(try StandInClient(url: url, password: configuration.adminPassword))
        }
    }

    /// The acceptance stacks (vendored under Tests/Fixtures).
    static let acceptanceStacks: URL = TestSupport.Fixtures.acceptanceStacks

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sptest-standin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }
}

/// Debian's Prometheus on 127.0.0.1 and a free port, with a temporary config and storage.
final class LocalPrometheus {
    static let binary = "/usr/bin/prometheus"
    static var isInstalled: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    let url: String
    private let process: Process
    private let directory: URL

    init() async throws {
        directory = try Fixture.temporaryDirectory()
        let port = try TestServers.freePort()
        url = "http://127.0.0.1:\(port)"
        let config = directory.appendingPathComponent("prometheus.yml")
        try Fixture.write("global:\n  scrape_interval: 15s\nscrape_configs: []\n", to: config)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "--config.file=\(config.path)", "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=127.0.0.1:\(port)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let transport = try CurlTransport(endpoint: HTTPEndpoint(address: .url(url)))
        for _ in 0..<150 {
            if let response = try? await transport.send(HTTPRequest(path: "/-/ready", timeout: .seconds(2))), response.status == 200 {
                return
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        stop()
        throw StandInTestError("Prometheus at \(url) did not become ready within 30 s")
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}

struct StandInTestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
