import Foundation
import Grafana

extension Doctor {
    /// What the Grafana checks need: a client and what provisioning promises.
    public struct GrafanaSetup: Sendable {
        public var client: Grafana.Client
        public var datasourceUID: String
        public var dashboardUIDs: [String]
        public var alertRuleUIDs: [String]

        public init(client: Grafana.Client, datasourceUID: String, dashboardUIDs: [String], alertRuleUIDs: [String]) {
            self.client = client
            self.datasourceUID = datasourceUID
            self.dashboardUIDs = dashboardUIDs
            self.alertRuleUIDs = alertRuleUIDs
        }
    }

    static func grafanaChecks(_ setup: GrafanaSetup) -> [Check] {
        []
    }
}
