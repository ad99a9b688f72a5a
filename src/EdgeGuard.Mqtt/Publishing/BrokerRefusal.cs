namespace EdgeGuard.Mqtt.Publishing;

/// <summary>
/// A refusal as <c>fault.broker</c> reports it: <see cref="Text"/> is what the alarm and the log say,
/// <see cref="Key"/> what makes it the same refusal again. They differ when the words carry
/// something that changes between attempts: an expired broker certificate's refusal gives the
/// gateway's clock to the second, a broker's reason string may number its refusals or give its
/// time. Compared by text, each attempt was a new reason and a new alarm (one per backoff, about
/// 2,880 a day at 30 s).
/// </summary>
/// <param name="Text">The reason, as the fault and the log give it.</param>
/// <param name="Key">The same for every repeat of this refusal, and only for those.</param>
internal readonly record struct BrokerRefusal(string Text, string Key)
{
    /// <summary>A refusal whose words are the same at every repeat: they are its key.</summary>
    public static BrokerRefusal Stable(string text) => new(text, text);

    /// <summary>This refusal with <paramref name="prefix"/> before both its text and its key.</summary>
    public BrokerRefusal Prefixed(string prefix) => new(prefix + Text, prefix + Key);
}
