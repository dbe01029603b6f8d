import Foundation
import HTTPTransport

extension DockerEngine.Client {
    /// Maps to `GET /tasks`. Filters: `desired-state` (`running`, `shutdown`, `accepted`), `id`,
    /// `label`, `name`, `node`, `service`.
    public func listTasks(filters: DockerEngine.Filters = .init()) async throws(DockerEngine.Error) -> [DockerEngine.SwarmTask] {
        try await get("/tasks", query: [("filters", filters.queryValue)])
    }

    /// Maps to `GET /tasks/{id}`.
    public func inspectTask(_ id: String) async throws(DockerEngine.Error) -> DockerEngine.SwarmTask {
        try await get("/tasks/\(Self.escape(id))")
    }
}
