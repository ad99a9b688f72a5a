using EdgeGuard.Mqtt.Publishing;
using MQTTnet;

namespace EdgeGuard.Mqtt.Tests;

/// <summary>
/// How a broker's reason code and reason string become a fault's reason: the code's name and value,
/// then the broker's own text, cut to 200 characters at a whole character so the journal's JSON
/// stays valid UTF-8 whatever the broker sent.
/// </summary>
public sealed class ReasonTextTests
{
    [Fact]
    public void Without_a_reason_string_it_names_the_code_and_its_value()
    {
        Assert.Equal("NotAuthorized (135)", OutboxPublisher.ReasonText(MqttClientDisconnectReason.NotAuthorized, 135, null));
        Assert.Equal("NotAuthorized (135)", OutboxPublisher.ReasonText(MqttClientDisconnectReason.NotAuthorized, 135, string.Empty));
    }

    [Fact]
    public void A_reason_string_is_recognised_again_with_its_numbers_left_out_its_words_and_code_kept()
    {
        // A broker's reason string may number its refusals or give its time: each was a new reason.
        var first = OutboxPublisher.Reason(MqttClientDisconnectReason.QuotaExceeded, 151, "refusal 1 at 2026-12-05T18:00:01Z");
        var again = OutboxPublisher.Reason(MqttClientDisconnectReason.QuotaExceeded, 151, "refusal 12 at 2026-12-05T18:00:31Z");

        Assert.Equal("QuotaExceeded (151): refusal 1 at 2026-12-05T18:00:01Z", first.Text);
        Assert.Equal(first.Key, again.Key);
        Assert.NotEqual(first.Key, OutboxPublisher.Reason(MqttClientDisconnectReason.QuotaExceeded, 151, "banned at 2026-12-05T18:00:31Z").Key);
        Assert.NotEqual(first.Key, OutboxPublisher.Reason(MqttClientDisconnectReason.NotAuthorized, 135, "refusal 1 at 2026-12-05T18:00:01Z").Key);
        Assert.Equal("NotAuthorized (135)", OutboxPublisher.Reason(MqttClientDisconnectReason.NotAuthorized, 135, null).Key);
    }

    [Fact]
    public void A_short_reason_string_is_kept_whole()
    {
        Assert.Equal(
            "QuotaExceeded (151): over quota",
            OutboxPublisher.ReasonText(MqttClientDisconnectReason.QuotaExceeded, 151, "over quota"));
    }

    [Fact]
    public void A_long_reason_string_is_cut_to_200_characters_and_marked_as_cut()
    {
        var text = new string('x', 200);

        Assert.Equal("QuotaExceeded (151): " + text, OutboxPublisher.ReasonText(MqttClientDisconnectReason.QuotaExceeded, 151, text));
        Assert.Equal("QuotaExceeded (151): " + text + "…", OutboxPublisher.ReasonText(MqttClientDisconnectReason.QuotaExceeded, 151, text + "y"));
    }

    [Fact]
    public void A_surrogate_pair_across_the_cut_is_dropped_whole_never_halved()
    {
        // "🔒" is two UTF-16 chars; here its high half is the 200th char.
        var text = new string('x', 199) + "🔒" + "tail";

        var reason = OutboxPublisher.ReasonText(MqttClientDisconnectReason.AdministrativeAction, 152, text);

        Assert.Equal("AdministrativeAction (152): " + new string('x', 199) + "…", reason);
        Assert.DoesNotContain(reason, char.IsSurrogate);
    }
}
