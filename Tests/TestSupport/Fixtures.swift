import Foundation

/// Test data shared by the test targets.
public enum Fixtures {
    /// Real monitoring stacks written by others (dockprom, vegasbrianc/prometheus, awesome-compose),
    /// vendored unmodified with their licences under `Tests/Fixtures/AcceptanceStacks`;
    /// `STACKPILOT_ACCEPTANCE_STACKS` points elsewhere.
    public static let acceptanceStacks: URL = {
        if let path = ProcessInfo.processInfo.environment["STACKPILOT_ACCEPTANCE_STACKS"] {
            return URL(fileURLWithPath: path)
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/AcceptanceStacks")
    }()
}
