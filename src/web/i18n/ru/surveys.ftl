# Опросы: список, форма, страница опроса с результатами.
surveys-title = Опросы
surveys-new = Новый опрос
surveys-intro = Задайте вопрос по SMS: люди отвечают номером варианта, голоса считаются по мере поступления.
surveys-col-question = Вопрос
surveys-col-status = Состояние
surveys-col-asked = Опрошено
surveys-col-created = Отправлен
surveys-open = Идёт
surveys-closed = Завершён
surveys-closes-on = до { $when }
surveys-closed-on = завершён { $when }
surveys-created-on = отправлен { $when }
surveys-empty = Опросов пока нет — задайте клиентам вопрос и следите, как приходят ответы.
surveys-empty-action = Создать первый опрос
surveys-no-older = Более ранних опросов нет.
surveys-pages = Страницы
surveys-newest = Новые
surveys-older = Более ранние
surveys-new-title = Новый опрос
surveys-new-intro = Вопрос сразу уйдёт на все номера ниже, варианты ответа добавятся к тексту. Тем, кто отписался, он не придёт.
surveys-question = Вопрос
surveys-question-hint = Например: Придёте на день открытых дверей в пятницу?
surveys-options = Варианты ответа
surveys-options-hint = У каждого варианта есть код (что человек пришлёт в ответ, например 1 или 2) и подпись. Строку без подписи пропустим. Нужно хотя бы два варианта.
surveys-option-key = Код ответа { $n }
surveys-option-label = Вариант { $n }
surveys-add-option = Добавить вариант
surveys-recipients = Кому отправить
surveys-recipients-hint = По одному номеру в строке (можно через запятую), в привычном виде: +7 916 123-45-67, 8 916 123 45 67.
surveys-count = Какой голос считать
surveys-count-first = Считать первый ответ
surveys-count-last = Считать последний ответ
surveys-closes-at = Завершить автоматически (необязательно)
surveys-closes-at-hint = По вашему времени ({ $zone }). Оставьте пустым, чтобы завершить вручную.
surveys-invalid-reply = Ответ на непонятное сообщение (необязательно)
surveys-invalid-reply-hint = Один раз отправим тому, кто ответил не кодом варианта, например: Пожалуйста, ответьте 1 — да или 2 — нет.
surveys-send = Отправить опрос
surveys-cancel = Отмена
surveys-back = ← Все опросы
surveys-sent = { $count ->
    [one] Вопрос отправлен на { $count } номер.
    [few] Вопрос отправлен на { $count } номера.
   *[many] Вопрос отправлен на { $count } номеров.
}
surveys-suppressed = { $count ->
    [one] { $count } номер отписался и не получил вопрос.
    [few] { $count } номера отписались и не получили вопрос.
   *[many] { $count } номеров отписались и не получили вопрос.
}
surveys-results = Результаты
surveys-asked = опрошено
surveys-delivered = доставлено
surveys-responded = ответили
surveys-comments = другие ответы
surveys-no-votes = Голосов пока нет. Они появятся здесь, как только придут ответы.
surveys-no-votes-closed = Никто не проголосовал.
surveys-votes = { $count ->
    [one] { $count } голос
    [few] { $count } голоса
   *[many] { $count } голосов
}
surveys-live = Обновляется само каждые { $secs } с.
surveys-final = Опрос завершён: это окончательные результаты.
surveys-close = Завершить опрос
surveys-close-confirm = Завершить опрос? Голоса, которые придут позже, не будут засчитаны.
surveys-error-invalid_options = Проверьте варианты ответа
surveys-error-invalid_number = Не удаётся разобрать номер
surveys-error-invalid_recipients = Добавьте хотя бы один номер
surveys-error-too_many_recipients = Слишком много номеров: не больше 100 000 на опрос
surveys-error-empty_text = Напишите вопрос
surveys-error-invalid_text = Этот текст нельзя отправить по SMS
surveys-error-too_long = Вопрос слишком длинный для SMS
surveys-error-invalid_closes_at = Проверьте время завершения: оно должно быть в будущем
surveys-error-invalid_count = Выберите, какой голос считать
surveys-error-idempotency_conflict = Эта форма уже была отправлена с другими данными: обновите страницу, чтобы начать новый опрос
surveys-error-invalid_idempotency_key = Страница устарела: обновите её
