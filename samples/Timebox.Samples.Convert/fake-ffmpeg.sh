#!/bin/sh
# Stands in for ffmpeg in the sample's tests and demo: `fake-ffmpeg.sh [OPTION...] -i INPUT OUTPUT`.
# Like ffmpeg, it writes a banner, then its progress redrawn in place with \r, on stderr, and writes OUTPUT at the end.
# FAKE_FFMPEG_FRAMES: frames to "encode" (default 40), one every 50 ms.
# FAKE_FFMPEG_STALL_AT: hang after that frame, still printing a warning now and then but no progress (a stuck input).
frames=${FAKE_FFMPEG_FRAMES:-40}
for output; do :; done
echo "Input #0, matroska, from '(fake)':" >&2
echo "Output #0, mp4, to '$output':" >&2
i=1
while [ "$i" -le "$frames" ]; do
    printf 'frame=%5d fps=20 time=00:00:%02d.00 speed=1.0x\r' "$i" $((i / 20)) >&2
    if [ "$i" = "${FAKE_FFMPEG_STALL_AT:-}" ]; then
        while :; do sleep 0.5; echo "[matroska] Read error, retrying" >&2; done
    fi
    sleep 0.05
    i=$((i + 1))
done
echo >&2
echo "fake video" > "$output"
