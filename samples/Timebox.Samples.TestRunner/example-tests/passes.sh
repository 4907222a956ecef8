# Passes: exits 0.
echo "1 + 1 = $((1 + 1))"
