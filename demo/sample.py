import statistics


def mean_of_positive(values):
    result = []
    for v in values:
        if v > 0:
            result.append(v)
    return statistics.mean(result)


def word_count(text):
    counts = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts


def greet(name):
    return "Hello, " + nme + "!"
