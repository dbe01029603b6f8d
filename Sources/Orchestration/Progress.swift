import DockerEngine

extension Orchestration {
    /// What the executor reports while it works. Rendered by StackPilotCommands as bars on a
    /// terminal, plain lines otherwise, or JSON lines.
    public enum ProgressEvent: Sendable {
        public enum Status: Sendable, Hashable {
            case started
            case done
            case failed(String)
        }

        /// A planned action started, finished or failed.
        case action(PlannedAction, Status)
        /// A pull reported progress for one layer.
        case pull(image: String, DockerEngine.ProgressMessage)
        /// A build printed a line.
        case build(image: String, line: String)
        /// A service waits for one of its dependencies to reach a condition.
        case waiting(service: String, dependency: String, condition: DependencyCondition)
        /// A service (or container) is ready (for `--wait` and dependency conditions).
        case ready(service: String, detail: String)
        /// Something that does not fail the run.
        case warning(String)
        /// A container was stopped, removed, restarted outside a plan (down, restart).
        case container(name: String, verb: String, Status)
        /// A network or volume was removed (down).
        case resource(kind: String, name: String, verb: String, Status)
    }
}
