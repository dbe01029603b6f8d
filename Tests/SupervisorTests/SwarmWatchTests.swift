import DockerEngine
import Doctor
import Foundation
import Testing

@testable import Supervisor

@Suite("Supervisor swarm watch")
struct SwarmWatchTests {
    static func state(update: String?, grafanaTask: String, grafanaNode: String) throws -> Doctor.SwarmState {
        let updateStatus = update.map { #","UpdateStatus":{"State":"\#($0)","Message":"update paused due to failure"}"# } ?? ""
        let services =
            #"[{"ID":"g","Spec":{"Name":"mon_grafana","Labels":{"com.docker.compose.service":"grafana"},"Mode":{"Replicated":{"Replicas":1}}},"ServiceStatus":{"RunningTasks":1,"DesiredTasks":1}},"#
            + #"{"ID":"a","Spec":{"Name":"app_api","Mode":{"Replicated":{"Replicas":3}}},"ServiceStatus":{"RunningTasks":2,"DesiredTasks":3}\#(updateStatus)}]"#
        let nodes =
            #"[{"ID":"n1","Spec":{"Role":"manager","Availability":"active"},"Description":{"Hostname":"node-1"},"Status":{"State":"ready"}},"#
            + #"{"ID":"n2","Spec":{"Role":"worker","Availability":"drain"},"Description":{"Hostname":"node-2"},"Status":{"State":"down"}}]"#
        let tasks = #"[{"ID":"\#(grafanaTask)","ServiceID":"g","NodeID":"\#(grafanaNode)","Slot":1,"DesiredState":"running","Status":{"State":"running"}}]"#
        let d = JSONDecoder()
        return Doctor.SwarmState(
            nodes: try d.decode([DockerEngine.Node].self, from: Data(nodes.utf8)),
            services: try d.decode([DockerEngine.Service].self, from: Data(services.utf8)),
            tasks: try d.decode([DockerEngine.SwarmTask].self, from: Data(tasks.utf8)))
    }

    @Test("the series: replicas running and desired, node up with role and availability, update state")
    func series() throws {
        let series = SwarmWatch.series(try Self.state(update: "paused", grafanaTask: "t1", grafanaNode: "n1"))
        func value(_ name: String, _ labels: [(String, String)]) -> Double? {
            series.first { $0.name == name && $0.labels.map { "\($0.0)=\($0.1)" } == labels.map { "\($0.0)=\($0.1)" } }?.value
        }
        #expect(value("stackpilot_service_replicas", [("service", "app_api"), ("state", "running")]) == 2)
        #expect(value("stackpilot_service_replicas", [("service", "app_api"), ("state", "desired")]) == 3)
        #expect(value("stackpilot_swarm_node_up", [("node", "node-1"), ("role", "manager"), ("availability", "active")]) == 1)
        #expect(value("stackpilot_swarm_node_up", [("node", "node-2"), ("role", "worker"), ("availability", "drain")]) == 0)
        #expect(value("stackpilot_service_update_state", [("service", "app_api"), ("state", "paused")]) == 1)
    }

    @Test("changes: nothing on the first read; a paused or rolled-back update once; Grafana's task moving")
    func changes() throws {
        let first = SwarmWatch.observe(try Self.state(update: "updating", grafanaTask: "t1", grafanaNode: "n1"))
        #expect(SwarmWatch.changes(from: nil, to: first).isEmpty)
        let paused = SwarmWatch.observe(try Self.state(update: "paused", grafanaTask: "t1", grafanaNode: "n1"))
        #expect(SwarmWatch.changes(from: first, to: paused) == [.update(service: "app_api", state: .paused, message: "update paused due to failure")])
        #expect(SwarmWatch.changes(from: paused, to: paused).isEmpty)
        let moved = SwarmWatch.observe(try Self.state(update: "paused", grafanaTask: "t2", grafanaNode: "n2"))
        let change = SwarmWatch.changes(from: paused, to: moved)
        #expect(change.count == 1)
        if case .grafanaMoved = change.first {} else { Issue.record("expected grafanaMoved, got \(change)") }
    }
}
