# Tests: placeholder until the suite lands.
