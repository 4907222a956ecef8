# Fails: exits 1 with a message on stderr.
echo "checking the answer"
echo "expected 42, got 41" >&2
exit 1
