using EdgeGuard.Core.Lockdown;
using EdgeGuard.Core.Ports;
using EdgeGuard.Mqtt.Contract;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;

namespace EdgeGuard.Mqtt.Publishing;

// A resend the office asked for (OutboxPublisher.StartResend): journaled events sent again, in seq
// order, replayed and flagged with the resend command's id, beside the live stream and below it.
//
// Below it: resent events go out only while no live record waits to be sent, and fill at most half
// the in-flight window, so a live event is published at once (the other half is free) and never
// waits behind a long resend; the broker answers in order, so its PUBACK waits at most for the
// resent ones already in flight. Beside it: they never touch the cursor (_sent, _acked,
// HighestSent): the journal's delivery is exactly what it would have been without them. An event
// refused for what it is goes as its withheld stub; any other refusal of a resent event ends the
// resend, never blocks the live stream; a refusal of a live event abandons the window, and the
// resend's events in it are sent again after it.
//
// A resend is not resumed: a session that ends (link lost) with one unfinished, or not yet taken,
// ends it; an orderly stop ends it as its drain begins (DeliverySession.Drain.cs), so its
// resend.ended goes out before offline. However it ends, resend.ended is journaled, so the office
// sees it in the stream. It never trims the unheard range: a PUBACK Success proves only that some
// client subscribes (a technician's watcher), not that the office has the events; only the
// office's own heard command does (DeliveryFaultReporter.Heard).
internal sealed partial class DeliverySession
{
    private readonly ResendSlot _resends;

    // The resend this session is carrying out; null when none.
    private ResendRequest? _resending;

    /// <summary>Live only, after the live records: sends what the resend may send now.</summary>
    private void PublishResent()
    {
        if (!_refreshStateAfterDelivery || _draining || _retryingRefused || _resends.Current is not { } request)
        {
            return;
        }

        _resending = request;
        if (OutboxPublisher.WindowTooSmall(_window.Capacity) is { } small)
        {
            EndResend(request, small); // StartResend checks it too; this one is a later connection's
            return;
        }

        var limit = _window.Capacity / 2;
        while (_window.Count < limit && request.SentThrough < request.To && _sent >= _outbox.LastSeq)
        {
            if (!TryNextResent(request, out var record))
            {
                break;
            }

            SendResent(request, record);
            request.SentThrough = record.Seq;
        }

        if (_resending is { } open && open.SentThrough >= open.To && open.InFlight == 0)
        {
            EndResend(open, null); // the rest of the range was a journal.gap: nothing more to send
        }
    }

    // Publishes one event of the resend: whole, or as its withheld stub when the broker refuses it
    // for what it is (the live stream's stub for the seq, withheld now or delivered so lately that
    // the reporter still knows it, or this resend's own refusal of it). Knowing it first keeps the
    // seqs after it from going ahead of the stub (OnResentSettled's rewind).
    private void SendResent(ResendRequest request, JournalRecord record)
    {
        var withheld = request.Withheld.GetValueOrDefault(record.Seq) ?? _faults.WithheldReason(record.Seq) ?? _faults.DeliveredAsStub(record.Seq);
        byte[] payload;
        if (withheld is null)
        {
            payload = Payloads.ResentEvent(record, _topics, request.CommandId, out var dataEmbedded);
            if (!dataEmbedded)
            {
                LogDataNotAnObject(record.Seq, record.Type);
            }
        }
        else
        {
            request.Withheld[record.Seq] = withheld;
            payload = Payloads.ResentWithheldEvent(record, _topics, request.CommandId, withheld);
        }

        var message = new MqttApplicationMessageBuilder()
            .WithTopic(_topics.Events)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType(Payloads.JsonContentType)
            .WithPayloadFormatIndicator(MqttPayloadFormatIndicator.CharacterData)
            .WithUserProperty("seq", ClientOptionsFactory.DecimalUtf8(record.Seq))
            .Build();
        _window.Add(new InFlight(InFlightKind.Resend, record, request.CommandId, _packetLimit.RefuseIfTooLarge(message) ?? _client.PublishAsync(message)));
        request.InFlight++;
    }

    // The next journaled record of the range; false when none is left (SentThrough is then To) or
    // the journal failed (the resend is then ended).
    private bool TryNextResent(ResendRequest request, out JournalRecord record)
    {
        if (request.BufferIndex >= request.Buffer.Count)
        {
            try
            {
                request.Buffer = _outbox.ReadAfter(request.SentThrough, (int)Math.Min(_options.BatchSize, request.To - request.SentThrough));
                request.BufferIndex = 0;
                if (AgedOutSince(request) is { } agedOut)
                {
                    record = null!;
                    EndResend(request, agedOut);
                    return false;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                record = null!;
                EndResend(request, "the journal could not be read: " + ex.Message);
                return false;
            }
        }

        if (request.BufferIndex >= request.Buffer.Count || request.Buffer[request.BufferIndex].Seq > request.To)
        {
            request.SentThrough = request.To;
            record = null!;
            return false;
        }

        record = request.Buffer[request.BufferIndex++];
        return true;
    }

    // Why the read just made skipped seqs retention deleted since the resend started; null when
    // it skipped none, or only seqs the journal never held (a journal.gap). Retention deletes the
    // oldest rows first, so a jump past SentThrough + 1 is its doing exactly when the oldest row
    // kept is past it too; asked only on a jump, which a resend meets rarely.
    private string? AgedOutSince(ResendRequest request)
    {
        var next = request.SentThrough + 1;
        if (request.Buffer is [var first, ..] && first.Seq == next)
        {
            return null;
        }

        var oldest = _outbox.ReadAfter(0, 1) is [var kept, ..] ? kept.Seq : _outbox.LastSeq + 1;
        return oldest <= next
            ? null
            : string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"aged out of the journal during the resend: seq {next} is no longer kept; the oldest seq kept is {oldest}");
    }

    /// <summary>A resent event's PUBACK: counted, the resend ended after its last.</summary>
    private void OnResentSettled(InFlight entry, MqttClientPublishResult result)
    {
        if (_resending is not { } request || !string.Equals(entry.Point, request.CommandId, StringComparison.Ordinal))
        {
            return; // its resend ended already (refused before): a late answer
        }

        request.InFlight--;
        if (request.Stale > 0)
        {
            request.Stale--; // sent before a refusal rewound the resend (below): sent again after it
            return;
        }

        var seq = entry.Record!.Seq;
        if (!IsSuccess(result) && RefusedForWhatItIs(result.ReasonCode) && !request.Withheld.ContainsKey(seq))
        {
            // It can never pass whole (the live stream withheld it too, or would): as the live
            // stream does, the resend rewinds to it, so its stub goes next and the seqs after it
            // again behind the stub, in seq order, not the stub after them. Those already in flight
            // behind it (all of this resend's: answers come in order) are not counted when they
            // are answered: the office may have them once more. A refusal of the stub ends the
            // resend below.
            request.Withheld[seq] = Describe(result);
            LogResentWithheld(request.ToString(), seq, Describe(result));
            request.Stale = request.InFlight;
            RewindResend(request, seq - 1);
            return;
        }

        if (!IsSuccess(result))
        {
            EndResend(request, $"the broker refused seq {seq}: {Describe(result)}");
            return;
        }

        request.Resent++;
        request.SettledThrough = seq;

        if (request.SentThrough >= request.To && request.InFlight == 0)
        {
            EndResend(request, null);
        }
    }

    /// <summary>A refusal of a live event abandoned the window: its resent events go again after it.</summary>
    private void ResentAbandoned(InFlight entry)
    {
        if (_resending is { } request && string.Equals(entry.Point, request.CommandId, StringComparison.Ordinal))
        {
            request.InFlight--;
            if (request.Stale > 0)
            {
                request.Stale--; // the stale ones are the first in the window: gone with it
            }

            RewindResend(request, Math.Min(request.SentThrough, entry.Record!.Seq - 1));
        }
    }

    // The resend sends again from the seq after sentThrough, read anew from the journal.
    private static void RewindResend(ResendRequest request, long sentThrough)
    {
        request.SentThrough = sentThrough;
        request.Buffer = [];
        request.BufferIndex = 0;
    }

    /// <summary>The session ends: an unfinished resend ends with it, not resumed.</summary>
    private void EndResendWithSession() => EndUnfinishedResend("the connection ended");

    /// <summary>
    /// The orderly stop's drain begins: an unfinished resend ends now, not resumed, so its
    /// resend.ended is journaled before the drain's last pass and delivered before offline.
    /// </summary>
    private void EndResendAtStop() => EndUnfinishedResend("the gateway stopped");

    // Ends the resend this session carries out, or the one accepted and not taken yet; cause says
    // what ended it, in the office's problem text.
    private void EndUnfinishedResend(string cause)
    {
        if (_resending is { } request)
        {
            EndResend(request, cause + " before it was finished (not resumed: send the rest again)");
        }
        else if (_resends.Current is { } waiting)
        {
            // Accepted on this connection and not taken yet (an idle session takes it at its next
            // state check): it ends too, or it would start on a later connection, long after the
            // office was told a lost link ends a resend.
            EndResend(waiting, cause + " before it was started (not resumed: send it again)");
        }
    }

    // Ends the resend: done (problem null) or cut short. Not when the publisher freed the slot
    // first: it answered the command refused, the one outcome the office gets for it.
    private void EndResend(ResendRequest request, string? problem)
    {
        _resending = null;
        if (!_resends.End(request))
        {
            return;
        }

        _stats.ResendEnded(problem is null);
        // In the stream, so the office knows it can stop waiting, and how far a cut one got.
        _faults.ResendEnded(new ResendEnded(_time.GetUtcNow(), request.CommandId, request.From, request.To, problem is null ? request.To : request.SettledThrough, request.Resent, problem));
        if (problem is null)
        {
            LogResendDone(request.ToString(), request.Resent);
        }
        else
        {
            LogResendEnded(request.ToString(), request.SettledThrough, problem);
        }
    }

    [LoggerMessage(EventId = 350, Level = LogLevel.Information, Message = "{Resend} done: {Resent} events sent again")]
    private partial void LogResendDone(string resend, long resent);

    [LoggerMessage(EventId = 353, Level = LogLevel.Information, Message = "{Resend}: seq {Seq} refused for what it is ({Reason}); its withheld stub sent in its place")]
    private partial void LogResentWithheld(string resend, long seq, string reason);

    [LoggerMessage(EventId = 351, Level = LogLevel.Warning, Message = "{Resend} ended after seq {SettledThrough}: {Problem}")]
    private partial void LogResendEnded(string resend, long settledThrough, string problem);
}
