import Foundation

extension Grafana {
    /// What Grafana's file provisioning can be asked to read again.
    public enum ProvisioningKind: String, Sendable, CaseIterable {
        case datasources, dashboards, alerting
    }
}

extension Grafana.Client {
    /// Maps to `POST /api/admin/provisioning/:kind/reload`: Grafana reads that kind's provisioning
    /// files again and answers once they are applied (200 `{"message":"Alerting config reloaded"}`;
    /// 403 unless the credentials are a Grafana server admin's; 500 when Grafana refuses the files).
    public func reloadProvisioning(_ kind: Grafana.ProvisioningKind) async throws(Grafana.ClientError) {
        try await send(.post, "/api/admin/provisioning/\(kind.rawValue)/reload")
    }
}
