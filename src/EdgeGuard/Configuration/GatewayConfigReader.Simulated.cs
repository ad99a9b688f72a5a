using EdgeGuard.Mqtt.Publishing;

namespace EdgeGuard.Configuration;

// What simulated hardware may not do with this configuration, checked in the read so that it is listed
// with every other problem: checked after the read, it came only once they were all fixed.
public static partial class GatewayConfigReader
{
    private sealed partial class Run
    {
        // Whether the gateway runs on simulated hardware: --simulate forces it, or hardware.driver
        // chooses it. Set by Hardware (GatewayConfigReader.Sections.cs), before mqtt is read.
        private bool _simulatedDriver;

        /// <summary>
        /// Simulated presses are journaled and published as this gateway's events, like real ones: run
        /// with a copy of a production configuration, a simulated panic press reached the security
        /// office's broker as a real alarm from that gateway. So simulated hardware talks only to a
        /// broker on this machine: the embedded one (no host), or one on loopback (the integration
        /// tests'). Only for <see cref="ConfigUse.Gateway"/>: a walk test publishes nothing, and the
        /// journal and sim verbs read a real site's configuration, whose broker is the office's.
        /// </summary>
        private void SimulatedBrokerOnThisMachine(ConfigNode hostNode, string? host)
        {
            if (!_simulatedDriver || use != ConfigUse.Gateway || string.IsNullOrEmpty(host) || MqttPublisherOptions.IsLoopbackHost(host))
            {
                return;
            }

            // An invalid gateway id is reported at gateway; this message names the one the office would see.
            var gateway = _identity.Gateway is { } id ? $"gateway '{id}'" : "this gateway";
            _w.Error(hostNode, null,
                $"simulated hardware (run --simulate, or hardware.driver simulated) publishes simulated presses as events of {gateway}, and mqtt.host '{host}' is not on this machine: "
                + "the security office would take a simulated panic for a real one. Leave mqtt.host empty for the embedded broker, or name a broker on loopback (127.0.0.1), "
                + "in a copy of the configuration with a stateDirectory of its own (the gateway's holds its real safety state)");
        }
    }
}
