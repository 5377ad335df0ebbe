# Страницы переписки.
conversations-title = Переписка
conversations-replies = { $count ->
    [one] { $count } ответ
    [few] { $count } ответа
   *[many] { $count } ответов
}
conversations-opted-out-badge = отписался
conversations-empty = Ответов пока нет. Когда кто-нибудь ответит на ваше сообщение, переписка появится здесь.
conversations-no-older = Более старой переписки нет.
conversations-their-time = у них сейчас { $time } ({ $zone })
conversations-all-messages = все сообщения на этот номер
conversations-earlier = Ранние сообщения
conversations-they-wrote = Написали вам
conversations-you-sent = Вы отправили
conversations-no-text = (без текста)
conversations-thread-empty = С этим номером ещё не переписывались.
conversations-reply = Ответить
conversations-reply-text = Ваш ответ
conversations-reply-hint = Ответ уходит с той же SIM-карты, на которую написали, если она доступна; отписки всегда соблюдаются.
conversations-reply-submit = Отправить ответ
conversations-reply-accepted = Ответ принят.
conversations-reply-suppressed = Не отправлено: этот номер отписался.
conversations-opted-out = Этот номер отписался { $when }. Больше ему ничего не отправляется.
conversations-kind-optout = отписка
conversations-kind-optin = подписался снова
conversations-kind-help = просит помощи
conversations-kind-join = подписался
conversations-kind-consent = дал согласие
conversations-kind-vote = голос
conversations-kind-comment = комментарий
conversations-kind-optout_review = проверить (упоминает «стоп»)
