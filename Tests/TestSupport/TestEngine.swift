import DockerEngine
import Foundation
import HTTPTransport
import Testing

/// The real Docker engine the integration tests drive, found as the CLI finds it
/// (`DOCKER_HOST`, else `/var/run/docker.sock`).
///
/// Gate a suite or test with `.requiresEngine`: it is skipped, with the reason shown, when no
/// engine answers — unless `STACKPILOT_REQUIRE_ENGINE=1` (set by `scripts/test`, so by CI), in
/// which case it runs and fails on `TestEngine.client()` with the reason.
public enum TestEngine {
    /// `STACKPILOT_REQUIRE_ENGINE=1`: an unreachable engine is a failure, not a skip.
    public static let isRequired = ToolGate.isRequired()

    public struct Unavailable: Error, CustomStringConvertible {
        public var reason: String
        public var description: String {
            "no Docker engine for the integration tests: \(reason)"
                + (isRequired ? " (STACKPILOT_REQUIRE_ENGINE=1, so this is a failure; run scripts/setup)" : "")
        }
    }

    private static let state = Probe()

    /// Why the engine cannot be used, or nil when it answers. Probed once per test process.
    public static func unavailableReason() async -> String? {
        await state.reason()
    }

    public static var isReachable: Bool {
        get async { await unavailableReason() == nil }
    }

    /// A client for the engine; throws `Unavailable` (failing the test) when it does not answer.
    public static func client() async throws -> DockerEngine.Client {
        if let reason = await unavailableReason() { throw Unavailable(reason: reason) }
        return try makeClient()
    }

    public static func makeClient() throws -> DockerEngine.Client {
        let host = try DockerEngine.Host.resolve()
        return try DockerEngine.Client(host: host, connectTimeout: .seconds(3))
    }

    private actor Probe {
        private var result: String??

        func reason() async -> String? {
            if let result { return result }
            let reason: String?
            do {
                let client = try TestEngine.makeClient()
                _ = try await client.ping(timeout: .seconds(5))
                _ = try await client.apiVersion()
                reason = nil
            } catch {
                reason = "\(error)"
            }
            result = .some(reason)
            return reason
        }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the engine answers, or always when `STACKPILOT_REQUIRE_ENGINE=1`
    /// (then a dead engine fails the test instead of skipping it).
    public static var requiresEngine: Self {
        .enabled("needs a Docker engine (set STACKPILOT_REQUIRE_ENGINE=1 to fail instead of skipping)") {
            if TestEngine.isRequired { return true }
            if let reason = await TestEngine.unavailableReason() {
                print("skipping integration test: \(reason)")
                return false
            }
            return true
        }
    }
}
