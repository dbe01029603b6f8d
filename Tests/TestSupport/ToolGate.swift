import Foundation

/// The gate of tests that need something of the machine besides the engine: Debian's prometheus,
/// promtool, node exporter, docker-compose, or a product built beside the tests.
///
/// Such a test runs when the tool is there and is skipped, with the reason printed, when it is not —
/// unless `STACKPILOT_REQUIRE_ENGINE=1` (set by scripts/test, so by CI): then it runs and fails on the
/// missing tool, as the engine gate does, so a run cannot pass by skipping.
///
///     @Test("...", .enabled(if: ToolGate.runs(needing: "/usr/bin/promtool", for: "promtool check metrics")))
///     func promtool() throws { try ToolGate.require("/usr/bin/promtool"); ... }
public enum ToolGate {
    public static let requireVariable = "STACKPILOT_REQUIRE_ENGINE"

    /// Whether missing tools fail the tests that need them instead of skipping them.
    public static func isRequired(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        environment[requireVariable] == "1"
    }

    /// Whether a test that needs the executables at `paths` runs.
    public static func runs(needing paths: String..., for test: String) -> Bool {
        runs(if: missing(paths).isEmpty, for: test, needing: missing(paths).joined(separator: ", "))
    }

    /// Whether a test runs that needs something (`needing`, for the message) that is `available` or not.
    public static func runs(
        if available: Bool, for test: String, needing: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> Bool {
        if available || isRequired(environment) { return true }
        print("skipping \(test): \(needing) is missing (scripts/setup installs it; \(requireVariable)=1 makes this a failure)")
        return false
    }

    /// The paths that are not executable files.
    public static func missing(_ paths: [String]) -> [String] {
        paths.filter { !FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Throws naming what is missing: the first line of a gated test, so that a required run fails
    /// with the reason rather than somewhere further on.
    public static func require(_ paths: String...) throws {
        let missing = missing(paths)
        guard missing.isEmpty else { throw Missing(paths: missing) }
    }

    public struct Missing: Error, CustomStringConvertible {
        public var paths: [String]
        public var description: String {
            "\(paths.joined(separator: ", ")) is missing: install it (scripts/setup does); \(ToolGate.requireVariable)=1 makes this a failure, not a skip"
        }
    }
}
