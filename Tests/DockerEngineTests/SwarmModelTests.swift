import Foundation
import Testing

@testable import DockerEngine

/// Swarm payloads as Engine 20.10 (API 1.41) sends them, after the examples of moby's `api/swagger.yaml`.
enum SwarmSamples {
    static let swarm = """
        {"ID":"abajmipo7b4xz5ip2nrla6b11","Version":{"Index":373531},"CreatedAt":"2016-08-18T10:44:24.496525531Z",
         "UpdatedAt":"2017-08-09T07:09:37.632105588Z","Spec":{"Name":"default","Labels":{"com.example.corp.type":"production"},
         "Orchestration":{"TaskHistoryRetentionLimit":10},"Raft":{"SnapshotInterval":10000,"KeepOldSnapshots":0,
         "LogEntriesForSlowFollowers":500,"ElectionTick":3,"HeartbeatTick":1},"Dispatcher":{"HeartbeatPeriod":5000000000},
         "CAConfig":{"NodeCertExpiry":7776000000000000},"TaskDefaults":{"LogDriver":{"Name":"json-file","Options":{"max-file":"10"}}},
         "EncryptionConfig":{"AutoLockManagers":false}},"TLSInfo":{"TrustRoot":"-----BEGIN CERTIFICATE-----\\n","CertIssuerSubject":"MBMxETAPBgNVBAMTCHN3YXJtLWNh",
         "CertIssuerPublicKey":"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE"},"RootRotationInProgress":false,"DefaultAddrPool":["10.10.0.0/16"],
         "SubnetSize":24,"DataPathPort":4789,"JoinTokens":{"Worker":"SWMTKN-1-worker","Manager":"SWMTKN-1-manager"}}
        """

    static let node = """
        {"ID":"24ifsmvkjbyhk","Version":{"Index":8},"CreatedAt":"2016-06-07T20:31:11.853781916Z","UpdatedAt":"2016-06-07T20:31:11.999868824Z",
         "Spec":{"Name":"my-node","Role":"manager","Availability":"active","Labels":{"foo":"bar"}},
         "Description":{"Hostname":"bf3067039e47","Platform":{"Architecture":"x86_64","OS":"linux"},
          "Resources":{"NanoCPUs":4000000000,"MemoryBytes":8272408576,"GenericResources":[
           {"DiscreteResourceSpec":{"Kind":"SSD","Value":3}},{"NamedResourceSpec":{"Kind":"GPU","Value":"UUID1"}}]},
          "Engine":{"EngineVersion":"20.10.24","Labels":{"foo":"bar"},"Plugins":[{"Type":"Log","Name":"json-file"},{"Type":"Network","Name":"overlay"}]},
          "TLSInfo":{"TrustRoot":"-----BEGIN CERTIFICATE-----\\n"}},
         "Status":{"State":"ready","Addr":"172.17.0.2"},"ManagerStatus":{"Leader":true,"Reachability":"reachable","Addr":"10.0.0.46:2377"}}
        """

    static let service = """
        {"ID":"9mnpnzenvg8p8tdbtq4wvbkcz","Version":{"Index":19},"CreatedAt":"2016-06-07T21:05:51.880065305Z","UpdatedAt":"2016-06-07T21:07:29.962229872Z",
         "Spec":{"Name":"hopeful_cori","Labels":{"com.docker.stack.namespace":"web"},
          "TaskTemplate":{"ContainerSpec":{"Image":"redis","Labels":{"a":"b"},"Command":["redis-server"],"Args":["--appendonly","yes"],
            "Hostname":"cache","Env":["A=1"],"Dir":"/data","User":"999","Groups":["adm"],"Init":true,"TTY":false,"OpenStdin":false,"ReadOnly":true,
            "Mounts":[{"Type":"volume","Source":"cache-data","Target":"/data"}],"StopSignal":"SIGTERM","StopGracePeriod":10000000000,
            "Healthcheck":{"Test":["CMD","redis-cli","ping"],"Interval":5000000000,"Retries":3},"Hosts":["10.0.0.1 db"],
            "DNSConfig":{"Nameservers":["8.8.8.8"],"Search":["example.org"],"Options":["timeout:3"]},
            "Secrets":[{"File":{"Name":"www.example.org.key","UID":"33","GID":"33","Mode":384},"SecretID":"fpjqlhnwb19zds35k8wn80lq9","SecretName":"example_org_domain_key"}],
            "Configs":[{"File":{"Name":"redis.conf","UID":"0","GID":"0","Mode":292},"ConfigID":"ktnbjxoalbkvbvedmg1urrz8h","ConfigName":"redis-conf"}],
            "Isolation":"default","Sysctls":{"net.core.somaxconn":"1024"},"CapabilityAdd":["CAP_NET_RAW"],"CapabilityDrop":["CAP_MKNOD"],
            "Ulimits":[{"Name":"nofile","Soft":1024,"Hard":2048}]},
           "Resources":{"Limits":{"NanoCPUs":500000000,"MemoryBytes":104857600,"Pids":100},
            "Reservations":{"NanoCPUs":100000000,"MemoryBytes":52428800,"GenericResources":[{"DiscreteResourceSpec":{"Kind":"gpu","Value":1}}]}},
           "RestartPolicy":{"Condition":"on-failure","Delay":10000000000,"MaxAttempts":10,"Window":0},
           "Placement":{"Constraints":["node.role==worker"],"Preferences":[{"Spread":{"SpreadDescriptor":"node.labels.rack"}}],"MaxReplicas":2,
            "Platforms":[{"Architecture":"amd64","OS":"linux"}]},
           "Networks":[{"Target":"overlay1","Aliases":["cache"],"DriverOpts":{"k":"v"}}],"LogDriver":{"Name":"json-file"},"ForceUpdate":0,"Runtime":"container"},
          "Mode":{"Replicated":{"Replicas":3}},
          "UpdateConfig":{"Parallelism":2,"Delay":1000000000,"FailureAction":"pause","Monitor":15000000000,"MaxFailureRatio":0.15,"Order":"start-first"},
          "RollbackConfig":{"Parallelism":1,"FailureAction":"pause","Order":"stop-first"},
          "EndpointSpec":{"Mode":"dnsrr","Ports":[{"Protocol":"tcp","TargetPort":6379,"PublishedPort":30001,"PublishMode":"host"}]}},
         "Endpoint":{"Spec":{"Mode":"vip"},"Ports":[{"Protocol":"tcp","TargetPort":6379,"PublishedPort":30001,"PublishMode":"ingress"}],
          "VirtualIPs":[{"NetworkID":"4qvuz4ko70xaltuqbt8956gd1","Addr":"10.255.0.2/16"}]},
         "UpdateStatus":{"State":"rollback_completed","StartedAt":"2017-01-20T15:44:08.5Z","CompletedAt":"2017-01-20T15:45:08.5Z","Message":"rollback completed"},
         "ServiceStatus":{"RunningTasks":2,"DesiredTasks":3,"CompletedTasks":0}}
        """

    static let task = """
        {"ID":"0kzzo1i0y4jz6027t0k7aezc7","Version":{"Index":71},"CreatedAt":"2016-06-07T21:07:31.171892745Z","UpdatedAt":"2016-06-07T21:07:31.376370513Z",
         "Labels":{},"Spec":{"ContainerSpec":{"Image":"redis"},"Resources":{"Limits":{},"Reservations":{}},
          "RestartPolicy":{"Condition":"any","MaxAttempts":0},"Placement":{}},
         "ServiceID":"9mnpnzenvg8p8tdbtq4wvbkcz","Slot":1,"NodeID":"60gvrl6tm78dmak4yl7srz94v",
         "Status":{"Timestamp":"2016-06-07T21:07:31.290032978Z","State":"running","Message":"started",
          "ContainerStatus":{"ContainerID":"e5d62702a1b48d01c3e02ca1e0212a250801fa8d67caca0b6f35919ebc12f035","PID":677}},
         "DesiredState":"running","NetworksAttachments":[{"Network":{"ID":"4qvuz4ko70xaltuqbt8956gd1","Version":{"Index":18},
          "Spec":{"Name":"ingress","Labels":{"com.docker.swarm.internal":"true"},"DriverConfiguration":{},"Ingress":true,"Scope":"swarm"}},
          "Addresses":["10.255.0.10/16"]}],
         "AssignedGenericResources":[{"DiscreteResourceSpec":{"Kind":"SSD","Value":3}}]}
        """

    static let config = """
        {"ID":"ktnbjxoalbkvbvedmg1urrz8h","Version":{"Index":11},"CreatedAt":"2016-11-05T01:20:17.327670065Z",
         "UpdatedAt":"2016-11-05T01:20:17.327670065Z","Spec":{"Name":"server.conf","Labels":{"k":"v"},"Data":"VEhJUyBJUyBOT1QgQSBSRUFMIENFUlRJRklDQVRFCg=="}}
        """

    static let secret = """
        {"ID":"blt1owaxmitz71s9v5zh81zun","Version":{"Index":85},"CreatedAt":"2017-07-20T13:55:28.678958722Z",
         "UpdatedAt":"2017-07-20T13:55:28.678958722Z","Spec":{"Name":"mysql-passwd","Labels":{"some.label":"some.value"},
         "Driver":{"Name":"secret-bucket","Options":{"OptionA":"value for driver option A"}}}}
        """

    static let info = """
        {"ID":"7TRN:IPZB","Swarm":{"NodeID":"k67qz4598weg5unwwffg6z1m1","NodeAddr":"10.0.0.46","LocalNodeState":"active","ControlAvailable":true,
         "Error":"","RemoteManagers":[{"NodeID":"71izy0goik036k48jg985xnds","Addr":"10.0.0.158:2377"}],"Nodes":4,"Managers":3,
         "Cluster":{"ID":"abajmipo7b4xz5ip2nrla6b11","Version":{"Index":373531},"Spec":{"Name":"default"}}}}
        """
}

@Suite("DockerEngine swarm models")
struct SwarmModelTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(json.utf8))
    }

    /// Encodes with the client's own encoder and decodes again: nothing is lost or renamed.
    func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
        try JSONDecoder().decode(T.self, from: DockerEngine.Client.encoder.encode(value))
    }

    @Test("GET /swarm decodes the flattened cluster fields beside the join tokens")
    func swarmInspect() throws {
        let swarm = try decode(DockerEngine.SwarmInspect.self, SwarmSamples.swarm)
        #expect(swarm.id == "abajmipo7b4xz5ip2nrla6b11")
        #expect(swarm.version?.index == 373531)
        #expect(swarm.spec?.raft?.electionTick == 3)
        #expect(swarm.spec?.dispatcher?.heartbeatPeriod == 5_000_000_000)
        #expect(swarm.spec?.taskDefaults?.logDriver?.options == ["max-file": "10"])
        #expect(swarm.cluster.defaultAddrPool == ["10.10.0.0/16"])
        #expect(swarm.cluster.dataPathPort == 4789)
        #expect(swarm.joinTokens?.worker == "SWMTKN-1-worker")
        #expect(try roundTrip(swarm) == swarm)
        let encoded = try JSONSerialization.jsonObject(with: DockerEngine.Client.encoder.encode(swarm)) as? [String: Any]
        #expect(encoded?["ID"] as? String == "abajmipo7b4xz5ip2nrla6b11")
        #expect(encoded?["JoinTokens"] != nil)
    }

    @Test("GET /info carries the engine's swarm membership")
    func swarmInfo() throws {
        let info = try decode(DockerEngine.SystemInfo.self, SwarmSamples.info)
        let swarm = try #require(info.swarm)
        #expect(swarm.localNodeState == .active)
        #expect(swarm.controlAvailable == true)
        #expect(swarm.managers == 3)
        #expect(swarm.nodes == 4)
        #expect(swarm.remoteManagers?.first?.addr == "10.0.0.158:2377")
        #expect(swarm.cluster?.id == "abajmipo7b4xz5ip2nrla6b11")
    }

    @Test("a node decodes its spec, description, status and manager status")
    func node() throws {
        let node = try decode(DockerEngine.Node.self, SwarmSamples.node)
        #expect(node.id == "24ifsmvkjbyhk")
        #expect(node.version?.index == 8)
        #expect(node.spec?.role == .manager)
        #expect(node.spec?.availability == .active)
        #expect(node.spec?.labels == ["foo": "bar"])
        #expect(node.description?.hostname == "bf3067039e47")
        #expect(node.description?.platform == DockerEngine.Platform(architecture: "x86_64", os: "linux"))
        #expect(node.description?.resources?.nanoCPUs == 4_000_000_000)
        #expect(node.description?.resources?.memoryBytes == 8_272_408_576)
        #expect(node.description?.resources?.genericResources?.first?.discreteResourceSpec?.value == 3)
        #expect(node.description?.resources?.genericResources?.last?.namedResourceSpec?.value == "UUID1")
        #expect(node.description?.engine?.engineVersion == "20.10.24")
        #expect(node.description?.engine?.plugins?.count == 2)
        #expect(node.status?.state == .ready)
        #expect(node.status?.addr == "172.17.0.2")
        #expect(node.managerStatus?.leader == true)
        #expect(node.managerStatus?.reachability == .reachable)
        #expect(node.managerStatus?.addr == "10.0.0.46:2377")
        #expect(try roundTrip(node) == node)
    }

    @Test("a service decodes every part of its spec and its status")
    func service() throws {
        let service = try decode(DockerEngine.Service.self, SwarmSamples.service)
        let spec = try #require(service.spec)
        let container = try #require(spec.taskTemplate?.containerSpec)
        #expect(service.version?.index == 19)
        #expect(spec.labels == ["com.docker.stack.namespace": "web"])
        #expect(container.command == ["redis-server"])
        #expect(container.args == ["--appendonly", "yes"])
        #expect(container.initProcess == true)
        #expect(container.readOnly == true)
        #expect(container.mounts == [DockerEngine.Mount(type: "volume", source: "cache-data", target: "/data")])
        #expect(container.stopGracePeriod == 10_000_000_000)
        #expect(container.healthcheck?.test == ["CMD", "redis-cli", "ping"])
        #expect(container.healthcheck?.interval == 5_000_000_000)
        #expect(container.dnsConfig?.nameservers == ["8.8.8.8"])
        #expect(container.secrets?.first?.file?.mode == 0o600)
        #expect(container.secrets?.first?.secretName == "example_org_domain_key")
        #expect(container.configs?.first?.configID == "ktnbjxoalbkvbvedmg1urrz8h")
        #expect(container.sysctls == ["net.core.somaxconn": "1024"])
        #expect(container.capabilityAdd == ["CAP_NET_RAW"])
        #expect(container.ulimits == [DockerEngine.Ulimit(name: "nofile", soft: 1024, hard: 2048)])
        let task = try #require(spec.taskTemplate)
        #expect(task.resources?.limits == DockerEngine.Limit(nanoCPUs: 500_000_000, memoryBytes: 104_857_600, pids: 100))
        #expect(task.resources?.reservations?.genericResources?.first?.discreteResourceSpec?.kind == "gpu")
        #expect(task.restartPolicy == DockerEngine.TaskRestartPolicy(condition: .onFailure, delay: 10_000_000_000, maxAttempts: 10, window: 0))
        #expect(task.placement?.constraints == ["node.role==worker"])
        #expect(task.placement?.preferences?.first?.spread?.spreadDescriptor == "node.labels.rack")
        #expect(task.placement?.maxReplicas == 2)
        #expect(task.networks == [DockerEngine.NetworkAttachmentConfig(target: "overlay1", aliases: ["cache"], driverOpts: ["k": "v"])])
        #expect(task.logDriver?.name == "json-file")
        #expect(spec.mode == .replicated(3))
        #expect(
            spec.updateConfig
                == DockerEngine.UpdateConfig(
                    parallelism: 2, delay: 1_000_000_000, failureAction: .pause, monitor: 15_000_000_000, maxFailureRatio: 0.15, order: .startFirst))
        #expect(spec.rollbackConfig?.order == .stopFirst)
        #expect(spec.endpointSpec?.mode == .dnsrr)
        #expect(spec.endpointSpec?.ports == [DockerEngine.EndpointPortConfig(targetPort: 6379, publishedPort: 30001, publishMode: .host)])
        #expect(service.endpoint?.virtualIPs?.first?.addr == "10.255.0.2/16")
        #expect(service.updateStatus?.state == .rollbackCompleted)
        #expect(service.serviceStatus?.runningTasks == 2)
        #expect(service.serviceStatus?.desiredTasks == 3)
        #expect(try roundTrip(service) == service)
    }

    @Test("a task decodes its state, error, container and network addresses")
    func task() throws {
        let task = try decode(DockerEngine.SwarmTask.self, SwarmSamples.task)
        #expect(task.slot == 1)
        #expect(task.nodeID == "60gvrl6tm78dmak4yl7srz94v")
        #expect(task.status?.state == .running)
        #expect(task.status?.state?.isTerminal == false)
        #expect(task.status?.containerStatus?.pid == 677)
        #expect(task.desiredState == .running)
        #expect(task.spec?.restartPolicy?.condition == .any)
        #expect(task.networksAttachments?.first?.network?.spec?.name == "ingress")
        #expect(task.networksAttachments?.first?.addresses == ["10.255.0.10/16"])
        #expect(task.assignedGenericResources?.count == 1)
        #expect(try roundTrip(task) == task)
    }

    @Test("config data travels as base64 and secrets decode without data")
    func configsAndSecrets() throws {
        let config = try decode(DockerEngine.SwarmConfig.self, SwarmSamples.config)
        #expect(config.spec?.data == Data("THIS IS NOT A REAL CERTIFICATE\n".utf8))
        #expect(try roundTrip(config) == config)
        let spec = DockerEngine.ConfigSpec(name: "prometheus-3f2a", labels: ["k": "v"], data: Data("global: {}\n".utf8))
        let body = try #require(String(data: DockerEngine.Client.encoder.encode(spec), encoding: .utf8))
        #expect(body == #"{"Data":"Z2xvYmFsOiB7fQo=","Labels":{"k":"v"},"Name":"prometheus-3f2a"}"#)
        let secret = try decode(DockerEngine.SwarmSecret.self, SwarmSamples.secret)
        #expect(secret.spec?.data == nil)
        #expect(secret.spec?.driver?.name == "secret-bucket")
        #expect(try roundTrip(secret) == secret)
    }

    @Test(
        "create answers are read with either spelling of the ID",
        arguments: [
            #"{"ID":"ak7w3gjqoa3kuz8xcpnyy0pvl","Warning":"unable to pin image"}"#, #"{"Id":"ak7w3gjqoa3kuz8xcpnyy0pvl"}"#,
        ])
    func createResponse(json: String) throws {
        #expect(try decode(DockerEngine.SwarmCreateResponse.self, json).id == "ak7w3gjqoa3kuz8xcpnyy0pvl")
    }

    @Test("a service spec encodes only what is set, with the engine's keys")
    func minimalSpecBody() throws {
        let spec = DockerEngine.ServiceSpec(
            name: "web", taskTemplate: .init(containerSpec: .init(image: "registry:5000/app:1")), mode: .global, endpointSpec: .init(mode: .dnsrr))
        let body = try #require(String(data: DockerEngine.Client.encoder.encode(spec), encoding: .utf8))
        #expect(
            body == #"{"EndpointSpec":{"Mode":"dnsrr"},"Mode":{"Global":{}},"Name":"web","TaskTemplate":{"ContainerSpec":{"Image":"registry:5000\/app:1"}}}"#)
    }

    @Test(
        "every task state keeps its spelling; an unknown one survives a round trip",
        arguments: DockerEngine.TaskState.spellings.map(\.spelling) + ["hibernating"])
    func taskStates(spelling: String) throws {
        let state = try decode(DockerEngine.TaskState.self, "\"\(spelling)\"")
        #expect(state.rawValue == spelling)
        #expect(String(data: try DockerEngine.Client.encoder.encode(state), encoding: .utf8) == "\"\(spelling)\"")
        #expect((state == .unknown(spelling)) == (spelling == "hibernating"))
    }

    @Test("open enums map the engine's hyphenated and underscored spellings")
    func spellings() throws {
        #expect(DockerEngine.RestartCondition(rawValue: "none") == .never)
        #expect(DockerEngine.RestartCondition(rawValue: "on-failure") == .onFailure)
        #expect(DockerEngine.UpdateOrder(rawValue: "start-first") == .startFirst)
        #expect(DockerEngine.UpdateState(rawValue: "rollback_paused") == .rollbackPaused)
        #expect(DockerEngine.NodeAvailability(rawValue: "drain") == .drain)
        #expect(DockerEngine.NodeState(rawValue: "unknown") == .unknown("unknown"))
        #expect(DockerEngine.PublishMode.host.rawValue == "host")
        #expect(DockerEngine.LocalNodeState(rawValue: "").rawValue == "")
        #expect(DockerEngine.TaskState.spellings.count == 15)
        #expect(DockerEngine.TaskState.failed.isTerminal)
    }
}
