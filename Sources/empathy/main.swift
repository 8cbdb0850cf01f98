print("empathy")
