import Foundation
import JSONDocument

extension Grafana.Client {
    /// Maps to `GET /api/v1/provisioning/alert-rules`.
    public func alertRules() async throws(Grafana.ClientError) -> [JSONValue] {
        try await get("/api/v1/provisioning/alert-rules")
    }

    /// Maps to `GET /api/v1/provisioning/alert-rules/:uid`; `nil` when Grafana answers 404.
    public func alertRule(uid: String) async throws(Grafana.ClientError) -> JSONValue? {
        try await getIfExists("/api/v1/provisioning/alert-rules/\(Self.escape(uid))")
    }

    /// Maps to `GET /api/v1/provisioning/folder/:folderUid/rule-groups/:group`; `nil` when Grafana answers 404.
    public func alertRuleGroup(folderUID: String, group: String) async throws(Grafana.ClientError) -> JSONValue? {
        try await getIfExists("/api/v1/provisioning/folder/\(Self.escape(folderUID))/rule-groups/\(Self.escape(group))")
    }

    /// Maps to `DELETE /api/v1/provisioning/alert-rules/:uid`.
    public func deleteAlertRule(uid: String) async throws(Grafana.ClientError) {
        try await send(.delete, "/api/v1/provisioning/alert-rules/\(Self.escape(uid))")
    }
}
