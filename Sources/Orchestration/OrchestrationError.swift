/// Everything that can go wrong in observe/plan/execute, each saying what failed and where.
public enum OrchestrationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// depends_on forms a cycle (the path starts and ends at the same service).
    case dependencyCycle([String])
    /// Something the user asked for does not exist in the project.
    case unknownService(String, project: String)
    /// Problems found before anything was touched (bad input): missing external network,
    /// image that must not be pulled, bind source that does not exist, port in use...
    case preflight([String])
    /// The engine refused or failed an operation.
    case engine(operation: String, target: String, message: String)
    /// Pulling or building an image failed.
    case image(service: String, image: String, message: String)
    /// A dependency did not reach its depends_on condition; its dependents were left created.
    case dependencyFailed(service: String, container: String, state: String, reason: String, logTail: [String], dependents: [String])
    /// `--wait` ran out of time; one line per service that is not ready.
    case waitTimeout(seconds: Double, notReady: [String])
    /// Several services failed in one run.
    case multiple([OrchestrationError])
    case cancelled

    public var description: String {
        switch self {
        case .dependencyCycle(let path):
            return "dependency cycle: \(path.joined(separator: " -> "))"
        case .unknownService(let s, let p):
            return "no service named '\(s)' in project '\(p)'"
        case .preflight(let problems):
            return problems.joined(separator: "\n")
        case .engine(let op, let target, let message):
            return "\(op) \(target): \(message)"
        case .image(let service, let image, let message):
            return "service '\(service)': image \(image): \(message)"
        case .dependencyFailed(let service, let container, let state, let reason, let logTail, let dependents):
            var s = "dependency failed to start: container \(container) (service '\(service)') is \(state): \(reason)"
            if !dependents.isEmpty {
                s += "\n  left created but not started: \(dependents.joined(separator: ", "))"
            }
            if !logTail.isEmpty {
                s += "\n  last log lines of \(container):\n" + logTail.map { "    | \($0)" }.joined(separator: "\n")
            }
            return s
        case .waitTimeout(let seconds, let notReady):
            let secs = seconds.rounded() == seconds ? String(Int(seconds)) : String(seconds)
            return "not ready after \(secs)s:\n" + notReady.map { "  \($0)" }.joined(separator: "\n")
        case .multiple(let errors):
            return errors.map(\.description).joined(separator: "\n")
        case .cancelled:
            return "cancelled; the next `up` converges from the state left behind"
        }
    }

    /// Bad input (exit 2) as opposed to an operation that failed (exit 1).
    public var isBadInput: Bool {
        switch self {
        case .dependencyCycle, .unknownService, .preflight: true
        case .multiple(let errors): !errors.isEmpty && errors.allSatisfy(\.isBadInput)
        default: false
        }
    }
}
