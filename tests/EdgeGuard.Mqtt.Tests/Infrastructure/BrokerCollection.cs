namespace EdgeGuard.Mqtt.Tests.Infrastructure;

/// <summary>
/// Tests that start Mosquitto run one after another: on a 2-core CI machine, parallel brokers and
/// 100,000-event bursts would only compete for the same cores.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrokerCollection
{
    /// <summary>The collection name.</summary>
    public const string Name = "Real Mosquitto";
}
